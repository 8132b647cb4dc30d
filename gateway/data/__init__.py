"""What a data request is, independent of the surface it came through."""
