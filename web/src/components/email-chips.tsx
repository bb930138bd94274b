import { Button, Group, Pill, PillsInput, Text, VisuallyHidden } from '@mantine/core';
import { useId, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import { isEmail, splitEmails } from '../forms';

export interface EmailChip {
  value: string;
  problem: 'invalid' | 'duplicate' | null;
}

/** Validates each entry on the spot: not an address, or listed twice (case-insensitive). */
export function checkChips(values: string[]): EmailChip[] {
  const seen = new Set<string>();
  return values.map((value) => {
    const key = value.trim().toLowerCase();
    const problem = !isEmail(value) ? 'invalid' : seen.has(key) ? 'duplicate' : null;
    seen.add(key);
    return { value, problem };
  });
}

const PROBLEM_TEXT = { invalid: 'not a valid address', duplicate: 'listed twice' } as const;

/**
 * Many addresses in one field: type and press Enter/comma/space, or paste a whole list
 * (commas, spaces, semicolons, new lines). Each becomes a chip, red when it cannot be sent.
 */
export function EmailChipsInput({ values, onChange, error, label = 'Email addresses' }: { values: string[]; onChange: (v: string[]) => void; error?: string | undefined; label?: string }) {
  const [draft, setDraft] = useState('');
  const hintId = useId();
  const chips = checkChips(values);
  const bad = chips.filter((c) => c.problem).length;

  const commit = (text: string) => {
    const entries = splitEmails(text);
    if (entries.length) onChange([...values, ...entries]);
    setDraft('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter' || e.key === ',' || e.key === ';' || e.key === ' ' || e.key === 'Tab') {
      if (draft.trim()) {
        if (e.key !== 'Tab') e.preventDefault();
        commit(draft);
      } else if (e.key === 'Enter') {
        e.preventDefault();
      }
    } else if (e.key === 'Backspace' && !draft && values.length) {
      onChange(values.slice(0, -1));
    }
  };

  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const text = e.clipboardData.getData('text');
    if (/[\s,;]/.test(text.trim())) {
      e.preventDefault();
      commit(draft + text);
    }
  };

  return (
    <div>
      <PillsInput
        label={label}
        description="Type or paste addresses, separated by commas, spaces or new lines"
        error={error}
        styles={{ input: { minHeight: 84, alignItems: 'flex-start' } }}
      >
        <Pill.Group>
          {chips.map((c, i) => (
            <Pill
              key={`${c.value}-${i}`}
              withRemoveButton
              onRemove={() => onChange(values.filter((_, j) => j !== i))}
              removeButtonProps={{ 'aria-label': `Remove ${c.value}` }}
              data-invalid={c.problem ? 'true' : undefined}
              title={c.problem ? `${c.value}: ${PROBLEM_TEXT[c.problem]}` : c.value}
              styles={c.problem ? { root: { background: 'var(--mantine-color-red-1)', color: 'var(--mantine-color-red-9)', outline: '1px solid var(--mantine-color-red-7)' } } : undefined}
            >
              {c.value}
              {c.problem ? <VisuallyHidden> ({PROBLEM_TEXT[c.problem]})</VisuallyHidden> : null}
            </Pill>
          ))}
          <PillsInput.Field
            value={draft}
            onChange={(e) => {
              const v = e.currentTarget.value;
              // Typing or dropping a separator commits what came before it.
              if (/[,;\n]/.test(v)) commit(v);
              else setDraft(v);
            }}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
            onBlur={() => draft.trim() && commit(draft)}
            placeholder={values.length ? '' : 'ada@example.com, grace@example.com'}
            aria-describedby={hintId}
            data-testid="email-chips-field"
          />
        </Pill.Group>
      </PillsInput>
      <Group gap="xs" mt={4} wrap="nowrap">
        <Text id={hintId} size="xs" c={bad ? 'red.9' : 'dark.4'} aria-live="polite">
          {values.length === 0
            ? 'No addresses yet.'
            : `${values.length} address${values.length === 1 ? '' : 'es'}${bad ? `, ${bad} to fix or remove (shown in red)` : ', all valid'}.`}
        </Text>
        {bad ? (
          <Button size="compact-xs" variant="subtle" color="#b02525" onClick={() => onChange(chips.filter((c) => !c.problem).map((c) => c.value))}>
            Remove {bad === 1 ? 'it' : `all ${bad}`}
          </Button>
        ) : null}
      </Group>
    </div>
  );
}
