"""Detectors: what the policy engine notices about an action before any rule is read.

Each detector turns raw inputs (arguments, the user profile, tool output the session
has read, the shop's risk list and catalogue) into plain, JSON-able observations. Rules
never call detectors; they read the facts built from these observations, so a recorded
observation can be re-evaluated later against a changed policy (``errand policy replay``).
"""
