"""杭州 民呼我为 (Hangzhou: the people call, we act): one intake for every citizen channel."""
