// The decision boundary, computed in the browser from a parameter vector and the answer's `layout`:
// the forward pass of the network the server trained (nn.Sequential of nn.Linear layers, weight
// [out, in] then bias, flattened row-major and concatenated), hidden activation, one sigmoid output.
// It draws P(y = 1) on a grid over the data; the server never sends a boundary.

const ACT = {
  relu: (z) => (z > 0 ? z : 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
};

// [{W: Float64Array (out*in), b, out, in}] views of theta by the layout (weights then biases).
export function unflatten(theta, layout) {
  const layers = [];
  let k = 0;
  for (let i = 0; i < layout.length; i += 2) {
    const [out, inp] = layout[i].shape;
    const W = theta.slice(k, k + out * inp);
    k += out * inp;
    const b = theta.slice(k, k + out);
    k += out;
    layers.push({ W, b, out, in: inp });
  }
  if (k !== theta.length) throw new Error(`layout holds ${k} parameters, the vector ${theta.length}`);
  return layers;
}

// P(y = 1) at (x1, x2).
export function prob(layers, activation, x1, x2) {
  const act = ACT[activation] || ACT.relu;
  let h = [x1, x2];
  layers.forEach((L, l) => {
    const z = new Array(L.out);
    for (let o = 0; o < L.out; o++) {
      let s = L.b[o];
      for (let i = 0; i < L.in; i++) s += L.W[o * L.in + i] * h[i];
      z[o] = l === layers.length - 1 ? s : act(s);
    }
    h = z;
  });
  return 1 / (1 + Math.exp(-h[0]));
}

// The box the data fills, with a margin (every point of train and test inside).
export function dataBox(data) {
  const pts = [...data.train.x, ...data.test.x];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const pad = (lo, hi) => { const m = 0.1 * (hi - lo || 1); return [lo - m, hi + m]; };
  return { x: pad(Math.min(...xs), Math.max(...xs)), y: pad(Math.min(...ys), Math.max(...ys)) };
}

// {x, y, z}: z[j][i] = P(y = 1) at (x[i], y[j]) on an n × n grid over `box`.
export function boundaryGrid(theta, layout, activation, box, n) {
  const layers = unflatten(theta, layout);
  const axis = ([lo, hi]) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const x = axis(box.x);
  const y = axis(box.y);
  return { x, y, z: y.map((yj) => x.map((xi) => prob(layers, activation, xi, yj))) };
}

// The share of points (x: [[x1, x2]…], y: 0/1) classified right by theta (P > 0.5: class 1), the
// server's rule; null for no points.
export function accuracy(theta, layout, activation, x, y) {
  if (!x.length) return null;
  const layers = unflatten(theta, layout);
  let right = 0;
  x.forEach((p, k) => { if ((prob(layers, activation, p[0], p[1]) > 0.5 ? 1 : 0) === y[k]) right += 1; });
  return right / x.length;
}
