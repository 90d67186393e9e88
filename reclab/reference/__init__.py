"""Small, slow, obviously correct NumPy versions of the book's formulas.

Each module mirrors a fast module of the package (``reclab.reference.losses`` for
``reclab.losses``, and so on). The tests compare the two; the chapters show these
versions as "the formula, in ten lines". Nothing here is used for training.
"""
