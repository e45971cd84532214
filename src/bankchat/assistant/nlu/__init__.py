"""Understanding what people write, in German and English: language, intent (a trained
model) and entities (rules), in the form DESIGN.md's NLU contract fixes."""
