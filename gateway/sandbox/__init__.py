"""Sandbox simulator of Enedis Data Connect v5: ``create_app`` / ``run`` in ``app``."""
