"""Enedis Data Connect upstream: endpoint catalogue, error catalogue and request rules."""
