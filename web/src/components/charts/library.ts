/**
 * The charting library (Mantine charts over recharts) and its styles: a chunk of its own,
 * loaded by the first chart that comes near the viewport (see LazyChart).
 */
import '@mantine/charts/styles.css';

export { AreaChart, BarChart, LineChart } from '@mantine/charts';
