"""The safe-deletion state machine (ASL JSON) and the Lambda tasks it calls."""
