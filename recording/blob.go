package recording

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Blob is the media store a Manager deletes recordings from. Implementations
// must be safe for concurrent use.
type Blob interface {
	// Exists reports whether media is stored under uri.
	Exists(ctx context.Context, uri string) (bool, error)
	// Delete removes the media under uri durably. Deleting media that is not
	// there is not an error (the sweeper may repeat a step after a crash).
	Delete(ctx context.Context, uri string) error
}

// FSBlob is a Blob on a local directory: the URI "file:calls/2026/12/r-1.wav"
// names the file calls/2026/12/r-1.wav below Root. URIs that would leave Root
// ("..", absolute paths) are rejected. The zero FSBlob is not usable.
type FSBlob struct {
	root *os.Root
}

// NewFSBlob opens dir as the media root.
func NewFSBlob(dir string) (*FSBlob, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("recording: media root: %w", err)
	}
	return &FSBlob{root: r}, nil
}

// Close releases the media root.
func (b *FSBlob) Close() error { return b.root.Close() }

func (b *FSBlob) path(uri string) (string, error) {
	p, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return "", fmt.Errorf("%w: media_uri %q: want file:<relative path>", ErrInvalid, uri)
	}
	if p == "" || !filepath.IsLocal(p) {
		return "", fmt.Errorf("%w: media_uri %q: path must be relative and stay below the media root", ErrInvalid, uri)
	}
	return p, nil
}

// ValidateURI reports whether uri is a media URI of b in its canonical
// form, the only one a registration accepts: "file:" and a relative path
// below the root that filepath.Clean leaves as it is. Two spellings of one
// file ("file:a.wav", "file:./a.wav") would name one media under two URIs,
// and the sweeper, which keeps media another recording still names by
// comparing URIs, would delete a held recording's media with another
// recording's. The error wraps ErrInvalid, names media_uri and gives the
// canonical form. Exists and Delete also take other spellings (records
// stored before this was required).
func (b *FSBlob) ValidateURI(uri string) error {
	p, err := b.path(uri)
	if err != nil {
		return err
	}
	if c := filepath.Clean(p); c != p {
		return fmt.Errorf("%w: media_uri %q: not in canonical form, want %q", ErrInvalid, uri, "file:"+filepath.ToSlash(c))
	}
	return nil
}

// CanonicalURI returns the canonical form of uri (see ValidateURI) and
// true, or uri and false when it names no file below the root. Records
// stored before canonical URIs were required may spell a file another way:
// the sweeper compares URIs in this form.
func (b *FSBlob) CanonicalURI(uri string) (string, bool) {
	p, err := b.path(uri)
	if err != nil {
		return uri, false
	}
	return "file:" + filepath.ToSlash(filepath.Clean(p)), true
}

// SameMedia reports whether the URIs a and c name one media file: when
// both files are there, whether they are one file (os.SameFile) — the root
// follows symbolic links, so two canonical URIs can name one file (a
// symlinked directory), and one canonical form can stand for two (a ".."
// after a symlink, in a record an earlier build stored); otherwise whether
// their canonical forms (CanonicalURI) are equal. An error reading either
// (other than its absence) is returned: the sweeper then deletes nothing.
func (b *FSBlob) SameMedia(a, c string) (bool, error) {
	ka, okA := b.CanonicalURI(a)
	kc, okC := b.CanonicalURI(c)
	if !okA || !okC {
		return ka == kc, nil
	}
	stat := func(uri string) (fs.FileInfo, error) {
		p, _ := b.path(uri)
		fi, err := b.root.Stat(p)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			// No file answers to this path (ENOTDIR: a file's name
			// with a slash after it): compared by canonical form.
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("recording: media %s: %w", uri, err)
		}
		return fi, nil
	}
	fa, err := stat(a)
	if err != nil {
		return false, err
	}
	fc, err := stat(c)
	if err != nil {
		return false, err
	}
	if fa == nil || fc == nil {
		return ka == kc, nil
	}
	return os.SameFile(fa, fc), nil
}

// Exists implements Blob.
func (b *FSBlob) Exists(_ context.Context, uri string) (bool, error) {
	p, err := b.path(uri)
	if err != nil {
		return false, err
	}
	_, err = b.root.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Delete implements Blob. It removes the file and syncs its directory so the
// removal survives a crash.
func (b *FSBlob) Delete(_ context.Context, uri string) error {
	p, err := b.path(uri)
	if err != nil {
		return err
	}
	if err := b.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recording: delete media: %w", err)
	}
	dir, err := b.root.Open(filepath.Dir(p))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("recording: sync media dir: %w", err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("recording: sync media dir: %w", err)
	}
	return nil
}
