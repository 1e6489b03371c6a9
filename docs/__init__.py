"""The documentation, installed as ``cellsim.docs`` so that ``cellsim`` can read
references.md (``cellsim check``, ``cellsim list``) after a plain ``pip install``."""
