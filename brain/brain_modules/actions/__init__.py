"""CURIOSITY's actions as stored rows: persistence, accept/reject, and the feedback history."""
