"""Product purity and current efficiency from the pathways that set them (docs/purity.md).

One module per pathway, each switched and parameterised by ``[purity]`` and
``[current_efficiency]``:

* ``transport``: mass-transfer-limited deposition of noble ions (closed forms; the exchange
  of ``cellsim.lumped.chemistry`` and the species field carry the flux);
* ``sources``: make-up salts, side lining, collectors;
* ``anode_transfer``: co-dissolution at an Al-starved alloy surface, alloy entrainment;
* ``codeposition``: Na, Li, K, Ca, Ba co-deposited by the exchange equilibrium;
* ``equilibria``: delta_E(T) from NIST-JANAF;
* ``efficiency``: dissolved metal, oxidation, shunt;
* ``ledger``: the origin tags that split each element of the product by pathway;
* ``pathways``: the rates of one configured cell for the model's time step.
"""
