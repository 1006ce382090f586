module github.com/dialgate/dialgate

go 1.25.0
