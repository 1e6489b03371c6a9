def test_interval_figure_keeps_every_number_inside_the_figure():
    """The interval labels ("15706 [14587, 17778] kWh/t scrap") ran past the right edge."""
    import matplotlib.pyplot as plt

    from cellsim.uq import Interval, interval_figure

    ivs = [Interval("specific_energy", 3.2e10, 2.9e10, 3.6e10, 64),
           Interval("specific_energy_scrap", 2.8e10, 2.6e10, 3.2e10, 64),
           Interval("mean_heater_power", 1800.0, 1400.0, 2000.0, 64)]
    fig = interval_figure(ivs, {}, {})
    fig.canvas.draw()
    box = fig.bbox
    texts = fig.axes[0].texts
    assert len(texts) == 3
    for t in texts:
        ext = t.get_window_extent()
        assert box.x0 <= ext.x0 and ext.x1 <= box.x1, (t.get_text(), ext, box)
    plt.close(fig)
