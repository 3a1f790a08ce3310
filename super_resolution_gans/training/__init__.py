"""Training: the GAN model, its losses and metrics, the data pipeline and its degradations."""
