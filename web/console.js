// The admin console's progressive enhancement. Every page works without it; with it: copy
// buttons, <dialog> confirmations for dangerous forms, focus moved to the result of an htmx swap,
// and toasts announced in an aria-live region. CSP-clean (script-src with a nonce, style-src
// 'self'): no eval, no inline handlers, no style attributes; only classes, `hidden` and DOM APIs.
//
// Markup it understands:
//   <button type="button" data-copy-target="ID" hidden>Copy</button>  copies #ID's value or text;
//       rendered `hidden` so it only appears when it can work. data-copied-message="..." optional.
//   <form data-confirm="Regenerate the API key? The old key stops working."
//         data-confirm-action="Regenerate">  asks in a dialog first; without JS the form just
//       submits and the server asks again.
//   <div class="toasts" data-toasts aria-live="polite"></div>  the live region (made if absent);
//       server-rendered .toast elements inside it are announced and get a Dismiss button.
//   data-keep-focus on an htmx target: its swaps leave focus where it is (filters that swap as
//       the user types).
(() => {
    'use strict';

    const focusableSelector = [
        'a[href]', 'button:not([disabled])', 'input:not([disabled]):not([type="hidden"])',
        'select:not([disabled])', 'textarea:not([disabled])', '[tabindex]:not([tabindex="-1"])'
    ].join(',');

    // --- toasts -------------------------------------------------------------------------------
    function toastRegion() {
        let region = document.querySelector('[data-toasts]');
        if (!region) {
            region = document.createElement('div');
            region.className = 'toasts';
            region.setAttribute('data-toasts', '');
            region.setAttribute('aria-live', 'polite');
            document.body.append(region);
        }
        return region;
    }

    function addDismiss(toast) {
        if (toast.querySelector('.toast-dismiss')) return;
        const dismiss = document.createElement('button');
        dismiss.type = 'button';
        dismiss.className = 'toast-dismiss';
        dismiss.textContent = 'Dismiss';
        dismiss.addEventListener('click', () => toast.remove());
        toast.append(dismiss);
    }

    // Shows `message` as a toast and lets screen readers announce it. kind: "success" or "error".
    function announce(message, kind = 'success') {
        const toast = document.createElement('div');
        toast.className = `toast toast-${kind}`;
        const text = document.createElement('p');
        text.textContent = message;
        toast.append(text);
        addDismiss(toast);
        toastRegion().append(toast);
    }

    function within(root, selector) {
        const found = [...root.querySelectorAll(selector)];
        if (root.matches?.(selector)) found.unshift(root);
        return found;
    }

    // A live region announces changes only, so toasts already in the page's HTML (after a
    // redirect) are put back a frame later to be announced too; swapped-in ones are changes.
    function prepareToasts(root, reinsert) {
        for (const toast of within(root, '.toast')) {
            addDismiss(toast);
            if (!reinsert) continue;
            const parent = toast.parentNode;
            toast.remove();
            requestAnimationFrame(() => parent.append(toast));
        }
    }

    // --- copy to clipboard --------------------------------------------------------------------
    function revealCopyButtons(root) {
        for (const button of within(root, '[data-copy-target][hidden]')) button.hidden = false;
    }

    function selectContents(element) {
        if (typeof element.select === 'function') {
            element.focus();
            element.select();
            return;
        }
        const range = document.createRange();
        range.selectNodeContents(element);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }

    async function copyFrom(button) {
        const source = document.getElementById(button.dataset.copyTarget);
        if (!source) return;
        const text = ('value' in source ? source.value : source.textContent).trim();
        try {
            // Only in a secure context (https, or http on loopback); otherwise select for Ctrl+C.
            await navigator.clipboard.writeText(text);
            announce(button.dataset.copiedMessage || 'Copied to the clipboard.');
        } catch {
            selectContents(source);
            announce('Selected. Press Ctrl+C (or Cmd+C) to copy.', 'error');
        }
    }

    document.addEventListener('click', (event) => {
        const button = event.target.closest?.('[data-copy-target]');
        if (!button) return;
        event.preventDefault();
        copyFrom(button);
    });

    // --- confirmations ------------------------------------------------------------------------
    let confirmDialog = null;

    function dialog() {
        if (confirmDialog) return confirmDialog;
        confirmDialog = document.createElement('dialog');
        confirmDialog.className = 'confirm';
        confirmDialog.setAttribute('aria-labelledby', 'confirm-title');
        confirmDialog.setAttribute('aria-describedby', 'confirm-message');
        const form = document.createElement('form');
        form.method = 'dialog';
        const title = document.createElement('h2');
        title.id = 'confirm-title';
        title.textContent = 'Are you sure?';
        const message = document.createElement('p');
        message.id = 'confirm-message';
        const actions = document.createElement('div');
        actions.className = 'actions';
        const cancel = document.createElement('button');
        cancel.value = 'cancel';
        cancel.className = 'button-secondary';
        cancel.textContent = 'Cancel';
        cancel.autofocus = true;  // the safe choice is the default one
        const proceed = document.createElement('button');
        proceed.value = 'confirm';
        proceed.className = 'button-danger';
        actions.append(cancel, proceed);
        form.append(title, message, actions);
        confirmDialog.append(form);
        document.body.append(confirmDialog);
        return confirmDialog;
    }

    const confirmed = new WeakSet();

    // Capture phase, so the question comes before htmx (or the browser) acts on the submit.
    document.addEventListener('submit', (event) => {
        const form = event.target;
        const question = form.dataset?.confirm;
        if (!question || typeof HTMLDialogElement !== 'function') return;
        if (confirmed.has(form)) {
            confirmed.delete(form);
            return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        const submitter = event.submitter;
        const box = dialog();
        box.querySelector('#confirm-message').textContent = question;
        box.querySelector('button[value="confirm"]').textContent =
            form.dataset.confirmAction || submitter?.textContent?.trim() || 'Confirm';
        box.returnValue = '';
        box.addEventListener('close', () => {
            if (box.returnValue !== 'confirm') return;  // Cancel or Esc
            confirmed.add(form);
            if (submitter && submitter.form === form) form.requestSubmit(submitter);
            else form.requestSubmit();
        }, { once: true });
        box.showModal();
    }, true);

    // --- focus after an htmx swap -------------------------------------------------------------
    function focusResult(region) {
        if (!region.isConnected || region.closest('[data-toasts], [data-keep-focus]')) return;
        if (region.contains(document.activeElement) && document.activeElement !== region) return;
        let target = region.matches('h1, h2, h3, h4, h5, h6') ? region : region.querySelector('h1, h2, h3, h4, h5, h6');
        if (!target) target = region.querySelector(focusableSelector);
        if (!target) target = region;
        if (!target.matches(focusableSelector)) target.setAttribute('tabindex', '-1');
        target.focus();
    }

    // htmx 4 fires htmx:after:settle on each swap's target once the new content is in place.
    document.addEventListener('htmx:after:settle', (event) => {
        const region = event.target;
        if (!(region instanceof Element)) return;
        revealCopyButtons(region);
        prepareToasts(region, false);
        focusResult(region);
    });

    function start() {
        revealCopyButtons(document.documentElement);
        prepareToasts(toastRegion(), true);
    }
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
    else start();

    window.chalConsole = { announce };
})();
