"""The dg defs folder: components whose definitions come from cached external state."""
