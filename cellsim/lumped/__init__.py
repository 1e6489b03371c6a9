"""The lumped (0D) physics: electrical, thermal and chemistry functions, and the lumped
providers of ``cellsim.contracts`` built on them (``cellsim.lumped.providers``)."""
