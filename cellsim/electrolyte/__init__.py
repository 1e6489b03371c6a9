"""The electrolyte as state: salt components, properties from composition, salt care.

* :mod:`.components`: the salt components (formula, molar mass, liquid molar volume, cp,
  acidity) with their sources;
* :mod:`.properties`: conductivity, density, liquidus, heat capacity and AlX3 activity as
  functions of composition, with validity ranges (:class:`~.properties.RangeLog`);
* :mod:`.provider` (imported by its full name: it sits in the providers' layer,
  docs/architecture.md): :class:`~.provider.SaltProvider`, the composition of a cell's salt from its
  inventories, its properties, the layer-order check and the operations (MgX2 precipitation,
  partial renewal).
"""

from .components import COMPONENTS, component
from .properties import OutOfRange, RangeLog

__all__ = ["COMPONENTS", "component", "OutOfRange", "RangeLog"]
