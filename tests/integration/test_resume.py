"""Checkpoint/restart: an interrupted campaign resumed gives the uninterrupted result bit for bit."""

import h5py
import numpy as np
import pytest

from cellsim.campaign import run_campaign
from cellsim.checkpoint import RunFile
from cellsim.config import load_config
from cellsim.io import write_result

pytestmark = pytest.mark.integration

LEVELS = {
    "lumped": ['schedule.duration="5 d"', 'numerics.checkpoint_interval="1 d"', 'numerics.model="lumped"'],
    "axisymmetric": ['schedule.duration="3 d"', 'numerics.checkpoint_interval="1 d"',
                     'numerics.model="axisymmetric"', 'numerics.resolution="coarse"',
                     'numerics.snapshot_interval="12 h"', 'schedule.tap_interval="1 d"'],
    "3d": ['schedule.duration="3 d"', 'numerics.checkpoint_interval="1 d"',
           'numerics.model="3d"', 'numerics.resolution="coarse"',
           'numerics.snapshot_interval="12 h"', 'schedule.tap_interval="1 d"'],
}


class Interrupt(Exception):
    pass


def _run_to_file(cfg, path, stop_at=None, resume=False):
    run = RunFile(path, resume=resume)
    state = run.load_checkpoint() if resume else None

    def progress(t, info):
        if stop_at is not None and t > stop_at:
            raise Interrupt

    result = run_campaign(cfg, progress, run=run, resume=state)
    write_result(result, run.result, fields=run.snapshots_file())
    run.finish()
    return result


@pytest.mark.parametrize("level", list(LEVELS))
def test_resumed_campaign_is_bit_for_bit_identical(level, tmp_path):
    cfg = load_config("rusal-3kA", LEVELS[level])
    whole = _run_to_file(cfg, tmp_path / "whole.h5")
    with pytest.raises(Interrupt):
        _run_to_file(cfg, tmp_path / "cut.h5", stop_at=1.6 * 86400)
    assert (tmp_path / "cut.h5.ckpt").is_file() and not (tmp_path / "cut.h5").exists()
    if level != "lumped":
        # the current's warm start kept at the sync point (FieldElectrical.reset_caches): with
        # the 3D multigrid the last solutions, which the resumed run starts from; none with a
        # direct backend (r-z), whose next solve starts from zero as before
        warm = RunFile(tmp_path / "cut.h5", resume=True).load_checkpoint()["model"]["physics"]["electrical"]["warm"]
        if level == "3d":
            assert warm["phi"].shape == warm["w"].shape and warm["phi"].ndim == 3 and len(warm["j"]) == 2
            assert np.all(np.isfinite(warm["phi"])) and warm["volt"] > 0.0
        else:
            assert warm is None
    resumed = _run_to_file(None, tmp_path / "cut.h5", resume=True)
    assert resumed.stop_reason == whole.stop_reason
    for name, values in whole.series.items():
        assert np.array_equal(values, resumed.series[name], equal_nan=True), name
    assert whole.summary == resumed.summary
    assert whole.ledger == resumed.ledger
    assert np.array_equal(whole.mass_balance, resumed.mass_balance)
    assert [(t.time, t.mass, tuple(t.composition)) for t in whole.taps] == \
        [(t.time, t.mass, tuple(t.composition)) for t in resumed.taps]
    if level != "lumped":
        with h5py.File(tmp_path / "whole.h5") as a, h5py.File(tmp_path / "cut.h5") as b:
            assert a["fields/time"].shape[0] == 7  # start and every 12 h (the last is the end)
            for name in a["fields"]:
                assert np.array_equal(a["fields"][name][()], b["fields"][name][()]), name
    assert not (tmp_path / "cut.h5.ckpt").exists() and not (tmp_path / "cut.h5.part").exists()


def _old_format(monkeypatch, drop):
    """Write checkpoints as an older cellsim did: without the dataclass fields ``drop``
    (class -> field names), e.g. the configuration before it had [materials]."""
    import dataclasses
    import types

    import cellsim.plaindata as plaindata

    def fields(obj):
        cls = obj if isinstance(obj, type) else type(obj)
        return tuple(f for f in dataclasses.fields(obj) if f.name not in drop.get(cls, ()))

    monkeypatch.setattr(plaindata, "dataclasses", types.SimpleNamespace(
        fields=fields, is_dataclass=dataclasses.is_dataclass))


OLD = ['schedule.duration="2 d"', 'numerics.checkpoint_interval="1 d"', 'numerics.model="axisymmetric"',
       'numerics.resolution="coarse"', 'schedule.tap_interval="1 d"']


def test_checkpoint_without_materials_resumes_as_the_uninterrupted_run(tmp_path, monkeypatch):
    """A checkpoint written before the configuration had [materials] (and before lining
    layers named their solid) resumes with the packaged materials, the values the code held
    then (and without numerics keys added since, which take their defaults: the behaviour
    they had): the result is the uninterrupted run's, bit for bit."""
    from cellsim.config.schema import Config, LiningLayer, Numerics

    cfg = load_config("rusal-3kA", OLD)
    whole = _run_to_file(cfg, tmp_path / "whole.h5")
    with monkeypatch.context() as mp:
        _old_format(mp, {Config: ("materials",), LiningLayer: ("material",), Numerics: ("current_reuse",)})
        with pytest.raises(Interrupt):
            _run_to_file(cfg, tmp_path / "cut.h5", stop_at=1.2 * 86400)
    with h5py.File(tmp_path / "cut.h5.ckpt") as h5:  # the old layout: no materials stored
        def names(node):
            return [k.decode() if isinstance(k, bytes) else str(k) for k in node.attrs["keys"]]

        keys = names(h5[f"checkpoint/{names(h5['checkpoint']).index('config')}"])
        assert "materials" not in keys and "geometry" in keys
    resumed = _run_to_file(None, tmp_path / "cut.h5", resume=True)
    assert resumed.summary == whole.summary
    for name, values in whole.series.items():
        assert np.array_equal(values, resumed.series[name], equal_nan=True), name


def test_checkpoint_missing_another_field_is_refused_by_name(tmp_path, monkeypatch):
    from cellsim.checkpoint import CheckpointError
    from cellsim.config.schema import Operation

    cfg = load_config("rusal-3kA", ['schedule.duration="3 d"', 'numerics.checkpoint_interval="1 d"',
                                    'numerics.model="lumped"'])
    with monkeypatch.context() as mp:
        _old_format(mp, {Operation: ("temperature",)})
        with pytest.raises(Interrupt):
            _run_to_file(cfg, tmp_path / "cut.h5", stop_at=1.2 * 86400)
    with pytest.raises(CheckpointError) as err:
        RunFile(tmp_path / "cut.h5", resume=True).load_checkpoint()
    msg = str(err.value)
    assert "cut.h5.ckpt" in msg and "Operation" in msg and "['temperature']" in msg and "without --resume" in msg


def test_checkpoint_files_follow_the_wall_clock_and_leave_results_alone(tmp_path, monkeypatch):
    """numerics.checkpoint_wall_interval decides only whether a sync point writes a file: 0 s
    writes one at every sync point; a long interval writes the first only, and a run cut
    after three sync points resumes from that first one to the same result, bit for bit."""
    written = []
    original = RunFile.write_checkpoint

    def counting(self, config, model, runner_state):
        written.append(model.state.time / 86400)
        original(self, config, model, runner_state)

    monkeypatch.setattr(RunFile, "write_checkpoint", counting)
    every = load_config("rusal-3kA", LEVELS["lumped"] + ['numerics.checkpoint_wall_interval="0 s"'])
    whole = _run_to_file(every, tmp_path / "whole.h5")
    assert written == pytest.approx([1, 2, 3, 4])  # 5 days: none at the end
    written.clear()
    once = load_config("rusal-3kA", LEVELS["lumped"] + ['numerics.checkpoint_wall_interval="1000 d"'])
    with pytest.raises(Interrupt):
        _run_to_file(once, tmp_path / "cut.h5", stop_at=3.6 * 86400)
    assert written == pytest.approx([1])
    resumed = _run_to_file(None, tmp_path / "cut.h5", resume=True)
    for name, values in whole.series.items():
        assert np.array_equal(values, resumed.series[name], equal_nan=True), name
    assert whole.summary == resumed.summary


def test_resume_with_the_species_factors_kept_across_sync_points(tmp_path, monkeypatch):
    """The 3D species band factors kept across sync points (the default pot's band; forced here
    on the coarse one, species_linear.BandSolver.keep_min_work) are in the checkpoint, and the
    resumed campaign rebuilds them: the uninterrupted result bit for bit."""
    from cellsim.fields import species_linear

    monkeypatch.setattr(species_linear.BandSolver, "keep_min_work", 0.0)
    cfg = load_config("rusal-3kA", LEVELS["3d"])
    whole = _run_to_file(cfg, tmp_path / "whole.h5")
    with pytest.raises(Interrupt):
        _run_to_file(cfg, tmp_path / "cut.h5", stop_at=1.6 * 86400)
    solver = RunFile(tmp_path / "cut.h5", resume=True).load_checkpoint()["model"]["physics"]["species"]["solver"]
    assert len(solver["matrices"]) > 0  # factors kept at the sync point, not renewed
    resumed = _run_to_file(None, tmp_path / "cut.h5", resume=True)
    for name, values in whole.series.items():
        assert np.array_equal(values, resumed.series[name], equal_nan=True), name
    assert whole.summary == resumed.summary and whole.ledger == resumed.ledger
