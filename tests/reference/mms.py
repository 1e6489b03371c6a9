"""Manufactured-solution helpers: sources by 4th-order finite differences of exact fields.

The exact potential is any vectorised function u(c0, c1, c2) of cell-centre coordinates;
-div(k grad u) is evaluated with 4th-order central differences (step h ~ 1e-3 of the
domain: truncation ~1e-12, round-off ~1e-10 relative), far below the discretisation
errors being measured.
"""

import numpy as np


def d1(f, x, h):
    """df/dx, 4th order."""
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


def flux_divergence(u, k, geometry, c, h):
    """div(k grad u) at points c = (c0, c1, c2) (arrays broadcasting together).

    u, k : vectorised functions of (c0, c1, c2); geometry "rz" (c1 ignored) or "xyz".
    """
    total = 0.0
    axes = (0, 2) if geometry == "rz" else (0, 1, 2)
    for a in axes:
        def flux(x, a=a):
            cc = list(c)
            cc[a] = x
            def ua(y):
                c2 = list(cc)
                c2[a] = y
                return u(*c2)
            w = cc[0] if (geometry == "rz" and a == 0) else 1.0
            return w * k(*cc) * d1(ua, x, h)
        div = d1(flux, c[a], h)
        total = total + (div / c[0] if (geometry == "rz" and a == 0) else div)
    return total


def centres(grid):
    """Cell-centre coordinate arrays broadcast to the cell shape."""
    c = [grid.centres(a) for a in range(3)]
    return np.meshgrid(*c, indexing="ij")


def observed_orders(errors):
    """log2 ratios of successive errors (grids refined by 2)."""
    e = np.asarray(errors)
    return np.log2(e[:-1] / e[1:])


def cell_average_source(u, k, grid, h):
    """Cell average of -div(k grad u) by 2-point Gauss quadrature per axis [A/m3]
    (r-weighted for "rz"), so the manufactured source carries no quadrature error."""
    gp, gw = np.polynomial.legendre.leggauss(2)
    lo = [grid.faces[a][:-1] for a in range(3)]
    wd = [grid.widths(a) for a in range(3)]
    axes = (0, 2) if grid.geometry == "rz" else (0, 1, 2)
    total, weight = 0.0, 0.0
    for q0 in range(2):
        for q1 in range(2 if 1 in axes else 1):
            for q2 in range(2):
                q = (q0, q1, q2)
                pts = [lo[a] + wd[a] * 0.5 * (1 + gp[q[a]]) if a in axes else lo[a] + 0.5 * wd[a]
                       for a in range(3)]
                c = np.meshgrid(*pts, indexing="ij")
                w = np.prod([gw[q[a]] if a in axes else 1.0 for a in range(3)])
                if grid.geometry == "rz":
                    w = w * c[0]
                total = total + w * -flux_divergence(u, k, grid.geometry, c, h)
                weight = weight + w
    return total / weight
