"""Policies: the Policy base class, torch and TensorFlow 2 policies, templates, exploration and schedules."""
