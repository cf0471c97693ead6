import { Badge, type BadgeProps } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * A badge whose label is never cut to an ellipsis (the library's default inside a narrow
 * table cell hides words such as "Medium" or "Needs a human").
 */
export function Tag({ children, ...props }: BadgeProps & { children: ReactNode; title?: string }) {
  return (
    <Badge {...props} styles={{ root: { flexShrink: 0 }, label: { overflow: 'visible' } }}>
      {children}
    </Badge>
  );
}
