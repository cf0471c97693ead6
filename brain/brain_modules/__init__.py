"""The brain modules: EYES, MEMORY, ORACLE, CURIOSITY, REFLEXES, VOICE, FACE and the pipeline."""
