"""The fast vocoder's training recipe (distillation from the shipped HiFi-GAN)."""
