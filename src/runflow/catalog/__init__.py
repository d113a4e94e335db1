"""The model catalog: models, their typed input declarations, outputs and pricing rules."""
