"""Lessons, quizzes, interview prompts and the decision tree as validated data, plus learner progress.

Pure Python: nothing here imports Textual or Rich (a test enforces it). Text read from content files
is kept raw; the UI escapes it before it reaches any markup renderer.
"""
