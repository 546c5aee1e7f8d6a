"""PyTorch models and action distributions (importing this package imports torch)."""
