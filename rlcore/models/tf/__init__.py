"""TensorFlow 2 / Keras 3 models and action distributions (importing this package imports tensorflow)."""
