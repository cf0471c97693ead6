/** The account menu's button: the member's initials on a phone, their name from `sm` up. */
import { Avatar, Box, Group, Text, UnstyledButton, VisuallyHidden, type UnstyledButtonProps } from '@mantine/core';
import { forwardRef, type ComponentPropsWithoutRef } from 'react';

import { useT } from '../i18n';

/** The member's initials (the user menu's face on a phone). */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((part) => Array.from(part ?? '')[0]?.toUpperCase() ?? '').join('') || '?';
}

type Props = UnstyledButtonProps & ComponentPropsWithoutRef<'button'> & { name: string };

/**
 * No aria-label: the name is what the button shows (initials on a phone, the full name from
 * sm up), completed by visually hidden text, so the visible label is always part of the
 * accessible name (WCAG 2.5.3): "AB (Alice Brown), Account menu" on a phone, "Alice Brown,
 * Account menu" above. Forwards its ref and props (the menu's target).
 */
export const AccountButton = forwardRef<HTMLButtonElement, Props>(function AccountButton({ name, ...props }, ref) {
  const t = useT();
  return (
    <UnstyledButton ref={ref} px="xs" py={4} {...props}>
      <Group gap={4} wrap="nowrap">
        <Box hiddenFrom="sm">
          <Avatar size={28} radius="xl" color="blue">
            {initials(name)}
          </Avatar>
          <VisuallyHidden>{` (${name}), ${t('shell.userMenu')}`}</VisuallyHidden>
        </Box>
        <Box visibleFrom="sm">
          <Text size="sm" fw={600} truncate maw={180}>
            {name}
          </Text>
          <VisuallyHidden>{`, ${t('shell.userMenu')}`}</VisuallyHidden>
        </Box>
        <Text component="span" size="xs" aria-hidden="true">
          ▾
        </Text>
      </Group>
    </UnstyledButton>
  );
});
