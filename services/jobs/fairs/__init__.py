"""Joint job fairs: the employers taking part and the workers who attended."""
