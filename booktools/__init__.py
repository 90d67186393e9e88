"""Tools that build and check the book; not part of the ``reclab`` package.

- :mod:`booktools.sphinx_ext`: the Sphinx extension behind the formula index, the runtime report
  and offline MathJax;
- :mod:`booktools.sources`: finding notebooks, equation labels, citations and budgets in the
  book's sources;
- :mod:`booktools.formula_index`, :mod:`booktools.citations`, :mod:`booktools.budgets`: the checks
  that the build and the tests share;
- :mod:`booktools.site_check`: checks of the built HTML, statically and in headless Chromium;
- :mod:`booktools.lab_check`: a chapter as JupyterLab (``make lab``) renders it, in headless
  Chromium;
- :mod:`booktools.install_cell`: the chapters' first code cell, which installs the package on
  Colab or a bare Binder kernel (``python -m booktools.install_cell notebooks/*.ipynb``);
- :mod:`booktools.build`: what ``make book`` runs.
"""
