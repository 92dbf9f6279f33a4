import assert from 'node:assert/strict';
import { linearTicks, logTicks, renderChart } from './chart.js';

describe('the chart writer', () => {
  it('puts round ticks up to at least the largest value', () => {
    assert.deepEqual(linearTicks(23_000), [0, 5000, 10_000, 15_000, 20_000, 25_000]);
    assert.deepEqual(logTicks(4, 4700), [1, 10, 100, 1000, 10_000]);
  });

  it('writes an SVG with a line per series and the budget line', () => {
    const svg = renderChart({
      title: 'a <chart>',
      width: 600,
      xLabel: 's',
      xMax: 10,
      bands: [{ x0: 0, x1: 5, label: 'phase', fill: '#eee' }],
      panels: [
        {
          title: 'rate',
          height: 100,
          series: [
            {
              color: '#000',
              points: [
                [0, 1],
                [5, 3],
                [9, 2],
              ],
            },
          ],
          budget: { y: 2, label: 'budget' },
        },
      ],
      legend: [{ label: 'relay', color: '#000' }],
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(svg.match(/<polyline /g)?.length, 1);
    assert.match(svg, /stroke-dasharray/);
    assert.match(svg, /a &lt;chart&gt;/);
  });
});
