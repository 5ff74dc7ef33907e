/**
 * Web vitals add-on, a lazily loaded chunk: reports LCP, INP, CLS, FCP and TTFB once each per page view as
 * `web_vitals_measured` touchpoints. Imports: web-vitals. Never loaded before analytics consent.
 */
import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from 'web-vitals';

/**
 * Starts measuring; `report` is called once per metric with the event name and its properties.
 * @example startVitals((event, props) => touchpoint.track(event, props))
 */
export function startVitals(report: (event: string, properties: Record<string, unknown>) => void): void {
  const seen = new Set<string>();
  const send = (m: Metric) => {
    if (seen.has(m.name)) return;
    seen.add(m.name);
    report('web_vitals_measured', {
      name: m.name,
      value: Math.round(m.name === 'CLS' ? m.value * 1000 : m.value) / (m.name === 'CLS' ? 1000 : 1),
      rating: m.rating,
      id: m.id,
      navigation_type: m.navigationType,
    });
  };
  // final values only (no reportAllChanges): each metric arrives once, on page hide at the latest
  onLCP(send);
  onINP(send);
  onCLS(send);
  onFCP(send);
  onTTFB(send);
}
