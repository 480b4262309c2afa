"""Video in and out: open, probe and decode (PyAV), encode the derivative, audio."""
