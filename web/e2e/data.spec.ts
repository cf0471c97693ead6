import { expect, signUpApi, test, uniqueEmail } from './fixtures';

function csv(): string {
  const lines = ['date,channel,campaign,creative,impressions,clicks,spend,conversions,revenue,platform'];
  for (let day = 1; day <= 5; day += 1) {
    const date = `2026-03-0${day}`;
    lines.push(`${date},Meta Ads,,,1000,50,${100 + day},5,${300 + day * 10},meta`);
    lines.push(`${date},Google Search,,,800,40,${80 + day},4,${200 + day * 5},google`);
  }
  lines.push('2026-03-06,Meta Ads,,,not-a-number,50,10,1,20,meta');
  return lines.join('\n') + '\n';
}

test('import a CSV: progress, the row-level error report, then the overview chart', async ({ page }) => {
  await signUpApi(page, uniqueEmail('importer'), 'Ian Import', 'Import Co');
  await page.goto('/data');
  await expect(page.getByText('No data yet')).toBeVisible();
  await page.getByRole('link', { name: 'Import a CSV' }).click();
  await expect(page.getByRole('heading', { name: 'Import CSV', level: 1 })).toBeVisible();
  await expect(page.getByText('No imports yet')).toBeVisible();

  await page.locator('input[type=file]').setInputFiles({ name: 'march.csv', mimeType: 'text/csv', buffer: Buffer.from(csv()) });
  await page.getByRole('button', { name: 'Upload' }).click();
  const report = page.getByTestId('import-report');
  await expect(report.getByText('Succeeded')).toBeVisible({ timeout: 30_000 });
  await expect(report).toContainText('Rows accepted: 10');
  await expect(report).toContainText('Rows rejected: 1');
  await expect(report.getByRole('cell', { name: '12', exact: true })).toBeVisible();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
  // Charts are drawn when they come near the viewport: scroll to them as a reader would.
  await page.getByRole('region', { name: 'Spend by channel' }).scrollIntoViewIfNeeded();
  await expect(page.getByRole('region', { name: 'Spend by channel' }).locator('.recharts-surface').first()).toBeVisible();
  // 5 days of 101..105 (Meta) + 81..85 (Google).
  await expect(page.getByText('930', { exact: true })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Spend by channel' })).toContainText('Meta Ads');
  await page.getByText('Last 7 days').click();
  await expect(page.getByRole('radio', { name: 'Last 7 days' })).toBeChecked();
  await expect(page.getByText('930', { exact: true })).toBeVisible();
});
