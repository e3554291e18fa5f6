import uPlot from 'uplot'; const x: uPlot.Options | null = null; console.log(x);
