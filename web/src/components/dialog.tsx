import { Modal, type ModalProps } from '@mantine/core';
import { useEffect } from 'react';

let openDialogs = 0;

/**
 * Mantine's Modal (focus trap, Escape, focus returned to the opener) plus: the page behind it
 * becomes `inert` while it is open, so neither the keyboard nor assistive technology can reach
 * what the overlay covers. Dropdowns and the dialog itself are portalled outside #root.
 */
export function Dialog(props: ModalProps) {
  const { opened } = props;
  useEffect(() => {
    if (!opened) return;
    const root = document.getElementById('root');
    openDialogs++;
    root?.setAttribute('inert', '');
    return () => {
      openDialogs--;
      if (openDialogs === 0) root?.removeAttribute('inert');
    };
  }, [opened]);
  return <Modal closeButtonProps={{ 'aria-label': 'Close dialog' }} {...props} />;
}
