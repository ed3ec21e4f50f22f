"""Labour training sessions: attendance and completion."""
