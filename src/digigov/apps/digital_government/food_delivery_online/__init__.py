"""浙江外卖在线 (Zhejiang Food-Delivery Online): whole-chain governance of online food delivery."""
