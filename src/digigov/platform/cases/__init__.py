"""Closed-loop case engine (工单闭环): intake, triage, assignment, handling, reply, verification, closure."""
