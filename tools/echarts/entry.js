// The reduced ECharts build: only what reformer/web/owner/static/owner/{dashboard,analytics}.js
// draw (ECharts' documented custom build: echarts/core + the parts in use). Adding a chart
// type or component to those files means adding it here and running ./build.sh.
import * as echarts from "echarts/core";
import { BarChart, HeatmapChart, LineChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  LineChart,
  BarChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  ToolboxComponent,
  DataZoomComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

// The pages use the global `echarts` (init, getInstanceByDom), like the full build did.
window.echarts = echarts;
