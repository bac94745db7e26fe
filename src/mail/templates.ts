/**
 * The messages this service sends, as plain text and HTML built from one template each. Every
 * value is escaped for HTML (a username or address cannot inject markup or links), subjects are
 * constants (nothing user-supplied reaches a header but the recipient, which the schema checked).
 */
export type MailKind = 'password_reset' | 'email_verification' | 'email_change_notice'

export interface RenderedMail {
  kind: MailKind
  subject: string
  text: string
  html: string
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character)
}

interface Template {
  subject: string
  /** Paragraphs; `{name}` placeholders are filled with the values, escaped in the HTML part. */
  paragraphs: string[]
  /** The link's placeholder name and label, when the message carries one. */
  link?: { value: string, label: string }
}

function fill (text: string, values: Record<string, string>, escape: (value: string) => string): string {
  return text.replace(/\{(\w+)\}/g, (match, name: string) => {
    const value = values[name]
    return value === undefined ? match : escape(value)
  })
}

function render (kind: MailKind, template: Template, values: Record<string, string>): RenderedMail {
  const plain = (value: string): string => value
  const textParagraphs = template.paragraphs.map((paragraph) => fill(paragraph, values, plain))
  const htmlParagraphs = template.paragraphs.map((paragraph) => `<p>${fill(paragraph, values, escapeHtml)}</p>`)
  if (template.link !== undefined) {
    const href = values[template.link.value] ?? ''
    textParagraphs.splice(1, 0, href)
    htmlParagraphs.splice(1, 0, `<p><a href="${escapeHtml(href)}">${escapeHtml(template.link.label)}</a></p>`)
  }
  return {
    kind,
    subject: template.subject,
    text: `${textParagraphs.join('\n\n')}\n`,
    html: `<!doctype html>\n<html><body>\n${htmlParagraphs.join('\n')}\n</body></html>\n`
  }
}

/** The link of a password reset: the token rides in the fragment, which browsers never send to a server or in a Referer. */
export function passwordResetLink (publicUrl: string, token: string): string {
  return `${publicUrl}/reset-password#token=${token}`
}

export function emailVerificationLink (publicUrl: string, token: string): string {
  return `${publicUrl}/verify-email#token=${token}`
}

export function passwordResetMail (values: { username: string, link: string, minutes: number }): RenderedMail {
  return render('password_reset', {
    subject: 'Reset your password',
    paragraphs: [
      'Someone asked to reset the password of the account {username}. To choose a new password, open this link:',
      'The link works once, within {minutes} minutes. Every session of the account ends when the password is reset; a second factor, if you have one, stays in place.',
      'If you did not ask for this, ignore this message: your password stays as it is.'
    ],
    link: { value: 'link', label: 'Choose a new password' }
  }, { username: values.username, link: values.link, minutes: String(values.minutes) })
}

export function emailVerificationMail (values: { username: string, email: string, link: string, hours: number }): RenderedMail {
  return render('email_verification', {
    subject: 'Confirm your email address',
    paragraphs: [
      'Someone asked to use {email} for the account {username}. To confirm that this address is yours, open this link:',
      'The link works once, within {hours} hours. Until it is used, the address is not used for anything.',
      'If you did not ask for this, ignore this message.'
    ],
    link: { value: 'link', label: 'Confirm this address' }
  }, { username: values.username, email: values.email, link: values.link, hours: String(values.hours) })
}

export function emailChangeNoticeMail (values: { username: string, newEmail: string }): RenderedMail {
  return render('email_change_notice', {
    subject: 'Your email address is being changed',
    paragraphs: [
      'Someone signed in to the account {username} asked to replace this address with {newEmail}. The change takes effect once the new address is confirmed; from then on, password resets go there.',
      'If this was not you, sign in and change your password now, then set your address again.'
    ]
  }, { username: values.username, newEmail: values.newEmail })
}
