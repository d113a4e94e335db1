"""Evaluations: a pass verdict, a 0–1 score and structured issues for any image (DESIGN §14)."""
