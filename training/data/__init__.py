"""Training-only data: real Tk screens captured into pools, word screens, copying targets."""
