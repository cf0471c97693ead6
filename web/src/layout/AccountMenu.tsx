/**
 * The account menu's dropdown (profile, security, log out): its own chunk, with the menu and
 * popover machinery it needs, loaded once the first page is on screen — or at once when the
 * member reaches for the button before that (the shell's `AccountButton` stands in until then
 * and looks exactly the same).
 */
import { Menu } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router-dom';

import { api, unwrap } from '../api/client';
import { ME_KEY, useSession } from '../auth/session';
import { useT } from '../i18n';
import { AccountButton } from './AccountButton';

export default function AccountMenu({ initiallyOpened = false }: { initiallyOpened?: boolean }) {
  const t = useT();
  const { me } = useSession();
  const client = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      client.clear();
      client.setQueryData(ME_KEY, null);
      navigate('/login');
    },
  });
  if (!me) return null;
  return (
    <Menu position="bottom-end" withinPortal defaultOpened={initiallyOpened}>
      <Menu.Target>
        <AccountButton name={me.user.name} />
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{me.user.email}</Menu.Label>
        <Menu.Item component={Link} to="/settings/profile">
          {t('nav.profile')}
        </Menu.Item>
        <Menu.Item component={Link} to="/settings/security">
          {t('nav.security')}
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" onClick={() => logout.mutate()}>
          {t('shell.logout')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
