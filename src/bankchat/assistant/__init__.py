"""The assistant: understands what a person writes in their assistant chat (``nlu``),
keeps the state of the dialogue, and answers from the person's own bank data."""
