"""Enedis Data Connect gateway."""
