"""Input and output: images (read, encode, atomic writes), key files and image tensors."""
