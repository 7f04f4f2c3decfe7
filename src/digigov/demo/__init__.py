"""The demo province: a deterministic (seeded) 浙江省 with departments, people and resources."""
