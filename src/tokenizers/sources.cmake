# Sources of the tokenizers module (part of radlite_core).
